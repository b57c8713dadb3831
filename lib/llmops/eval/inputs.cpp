#include <llmops/eval/inputs.hpp>

#include <set>
#include <system_error>

#include <llmops/eval/suite.hpp>
#include <llmops/util/files.hpp>

namespace llmops::eval {

namespace fs = std::filesystem;

namespace {

// How deep `file://` references are followed (a file naming a file naming a file...).
constexpr int k_max_depth = 8;

bool is_file(const fs::path& path) {
    std::error_code ec;
    return fs::is_regular_file(path, ec);
}

// The absolute, normalised form of `path`, through symbolic links where they exist.
fs::path resolved(const fs::path& path) {
    std::error_code ec;
    fs::path out = fs::weakly_canonical(fs::absolute(path, ec), ec);
    return ec ? fs::absolute(path).lexically_normal() : out;
}

bool same_file(const fs::path& a, const fs::path& b) {
    std::error_code ec;
    if (fs::equivalent(a, b, ec) && !ec) {
        return true; // hard links and symbolic links too
    }
    return resolved(a) == resolved(b);
}

bool inside(const fs::path& path, const fs::path& dir) {
    const fs::path p = resolved(path);
    const fs::path d = resolved(dir);
    auto pi = p.begin();
    for (auto di = d.begin(); di != d.end(); ++di, ++pi) {
        if (pi == p.end() || *pi != *di) {
            return false;
        }
    }
    return true;
}

// Where a `file://` reference ends in YAML, JSON or CSV text: at a quote, a separator or a
// blank. (A path holding blanks is not followed; datasets and prompt files are known anyway.)
bool ends_reference(char c) {
    return c == '"' || c == '\'' || c == '`' || c == ',' || c == ']' || c == '}' || c == ')' ||
           c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

// Every file named `file://...` in `text` that exists, relative to `base_dir` (a python
// reference's `:function` suffix removed).
std::vector<fs::path> references(const std::string& text, const fs::path& base_dir) {
    std::vector<fs::path> out;
    constexpr std::string_view k_scheme = "file://";
    for (size_t at = text.find(k_scheme); at != std::string::npos;
         at = text.find(k_scheme, at + 1)) {
        size_t end = at + k_scheme.size();
        while (end < text.size() && !ends_reference(text[end])) {
            ++end;
        }
        std::string rel = text.substr(at + k_scheme.size(), end - at - k_scheme.size());
        fs::path path = (base_dir / rel).lexically_normal();
        if (!is_file(path)) {
            if (const size_t colon = rel.rfind(':'); colon != std::string::npos) {
                path = (base_dir / rel.substr(0, colon)).lexically_normal();
            }
        }
        if (is_file(path)) {
            out.push_back(path);
        }
    }
    return out;
}

bool worth_scanning(const fs::path& path) {
    const std::string ext = path.extension().string();
    return ext == ".yaml" || ext == ".yml" || ext == ".json" || ext == ".jsonl" || ext == ".csv";
}

// Gathers the inputs: the files the suite names directly first (so each keeps its own role),
// then whatever `file://` references lead to.
class Collector {
public:
    explicit Collector(fs::path base_dir) : m_base_dir(std::move(base_dir)) {}

    void add(const fs::path& path, const std::string& role) {
        if (m_seen.insert(resolved(path)).second) {
            m_inputs.push_back({path, role, 0});
        }
    }

    std::vector<InputFile> take() {
        // m_inputs grows while it is walked: index, not iterators.
        for (size_t i = 0; i < m_inputs.size(); ++i) {
            const Found found = m_inputs[i];
            if (found.depth >= k_max_depth || !worth_scanning(found.path)) {
                continue;
            }
            auto text = util::read_file(found.path);
            if (!text) {
                continue;
            }
            // Relative references resolve against the suite's folder, wherever they are written.
            for (const auto& ref : references(*text, m_base_dir)) {
                if (m_seen.insert(resolved(ref)).second) {
                    m_inputs.push_back({ref, "a file the suite reads", found.depth + 1});
                }
            }
        }
        std::vector<InputFile> out;
        for (auto& found : m_inputs) {
            out.push_back({std::move(found.path), std::move(found.role)});
        }
        return out;
    }

private:
    struct Found {
        fs::path path;
        std::string role;
        int depth;
    };
    fs::path m_base_dir;
    std::set<fs::path> m_seen;
    std::vector<Found> m_inputs;
};

} // namespace

std::vector<InputFile> input_files(const Suite& suite) {
    Collector collector(suite.base_dir);
    if (!suite.path.empty()) {
        collector.add(suite.path, "the suite");
    }
    for (const auto& file : suite.tests.files()) {
        collector.add(file, "a dataset of the suite");
    }
    for (const auto& prompt : suite.prompts) {
        if (prompt.kind == PromptEntry::Kind::file) {
            collector.add(prompt.value, "a prompt file of the suite");
        }
    }
    for (const auto& provider : suite.providers) {
        if (!provider.replay_file.empty()) {
            collector.add(provider.replay_file, "a replay file of the suite");
        }
    }
    return collector.take();
}

std::optional<InputFile> overwritten_input(const fs::path& output,
                                           const std::vector<InputFile>& inputs,
                                           const fs::path& store_dir) {
    if (!store_dir.empty() && inside(output, store_dir)) {
        return InputFile{store_dir, "the project's store"};
    }
    for (const auto& input : inputs) {
        if (same_file(output, input.path)) {
            return input;
        }
    }
    return std::nullopt;
}

Expected<void> check_outputs(const std::vector<std::string>& outputs,
                             const std::vector<InputFile>& inputs, const fs::path& store_dir,
                             std::string_view flag) {
    for (size_t i = 0; i < outputs.size(); ++i) {
        if (outputs[i] == "-") {
            continue;
        }
        if (auto clash = overwritten_input(outputs[i], inputs, store_dir)) {
            const std::string shown = util::relative_display(
                fs::absolute(clash->path).lexically_normal(), fs::current_path());
            return fail(ErrorCode::invalid_input,
                        "{} '{}' would overwrite {} ('{}'); write the report elsewhere", flag,
                        outputs[i], clash->role, shown);
        }
        for (size_t j = 0; j < i; ++j) {
            if (outputs[j] != "-" && same_file(outputs[i], outputs[j])) {
                return fail(ErrorCode::invalid_input, "{} '{}' and {} '{}' are the same file", flag,
                            outputs[j], flag, outputs[i]);
            }
        }
    }
    return {};
}

} // namespace llmops::eval
