#include <llmops/remote/remotes.hpp>

#include <algorithm>
#include <cstdlib>
#include <system_error>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include <llmops/util/files.hpp>
#include <llmops/util/redact.hpp>
#include <llmops/util/yaml.hpp>

namespace llmops::remote {

namespace fs = std::filesystem;

namespace {
using nlohmann::json;

constexpr std::string_view k_password_env = "password_env";

bool valid_name(std::string_view name) {
    return !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    });
}

// The URL without its `password_env` query parameter, and that parameter's value.
std::pair<std::string, std::optional<std::string>> split_password_env(const std::string& url) {
    const auto query = url.find('?');
    if (query == std::string::npos) {
        return {url, std::nullopt};
    }
    std::vector<std::string> kept;
    std::optional<std::string> variable;
    size_t start = query + 1;
    while (start <= url.size()) {
        size_t end = url.find('&', start);
        if (end == std::string::npos) {
            end = url.size();
        }
        const std::string pair = url.substr(start, end - start);
        if (pair.starts_with(std::string(k_password_env) + "=")) {
            variable = pair.substr(k_password_env.size() + 1);
        } else if (!pair.empty()) {
            kept.push_back(pair);
        }
        start = end + 1;
    }
    std::string base = url.substr(0, query);
    if (!kept.empty()) {
        base += "?" + fmt::format("{}", fmt::join(kept, "&"));
    }
    return {base, variable};
}

Expected<void> check_url(const std::string& url) {
    if (!url.starts_with("postgresql://") && !url.starts_with("postgres://")) {
        return fail(ErrorCode::invalid_input,
                    "remote URL '{}' is not a PostgreSQL URL (postgresql://user@host:port/db)",
                    display_url(url));
    }
    const auto [conninfo, variable] = split_password_env(url);
    if (variable &&
        (variable->empty() || !std::all_of(variable->begin(), variable->end(), [](char c) {
             return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
         }))) {
        return fail(ErrorCode::invalid_input,
                    "remote URL's password_env '{}' is not an environment variable name",
                    *variable);
    }
    if (LLMOPS_TRY(conninfo_password(conninfo))) {
        return fail(ErrorCode::invalid_input,
                    "remote URL '{}' holds a password, which llmops never stores: put it in "
                    "PGPASSWORD or ~/.pgpass, or name a variable holding it with "
                    "?password_env=NAME",
                    display_url(url));
    }
    return {};
}

std::string remotes_yaml(const std::vector<Remote>& remotes) {
    std::string out = "# llmops remotes (`llmops remote add|rm`; docs/teams.md). Never a password "
                      "here:\n# libpq reads it from PGPASSWORD or ~/.pgpass, or ?password_env=NAME "
                      "names a variable.\nremotes:\n";
    for (const auto& r : remotes) {
        out += fmt::format("  {}:\n    url: {}\n", r.name, json(r.url).dump());
    }
    return out;
}

Expected<void> write_remotes(const store::Project& project, const std::vector<Remote>& remotes) {
    return util::write_file_atomic(remotes_path(project), remotes_yaml(remotes));
}

} // namespace

fs::path remotes_path(const store::Project& project) {
    return project.dir / "remotes.yaml";
}

Expected<std::vector<Remote>> read_remotes(const store::Project& project) {
    const fs::path path = remotes_path(project);
    std::error_code ec;
    if (!fs::exists(path, ec)) {
        return std::vector<Remote>{};
    }
    const std::string text = LLMOPS_TRY(util::read_file(path));
    const json doc = LLMOPS_TRY(util::parse_yaml(text, path.string()));
    std::vector<Remote> remotes;
    const json* list = doc.is_object() && doc.contains("remotes") ? &doc["remotes"] : nullptr;
    if (list == nullptr || list->is_null()) {
        return remotes;
    }
    if (!list->is_object()) {
        return fail(ErrorCode::invalid_input, "{}: 'remotes' is not a map of names to URLs",
                    path.string());
    }
    for (const auto& [name, value] : list->items()) {
        if (!valid_name(name) || !value.is_object() || !value.contains("url") ||
            !value["url"].is_string()) {
            return fail(ErrorCode::invalid_input, "{}: remote '{}' needs a 'url' string",
                        path.string(), name);
        }
        remotes.push_back({name, value["url"].get<std::string>()});
    }
    return remotes;
}

Expected<Remote> find_remote(const store::Project& project, const std::string& name) {
    const auto remotes = LLMOPS_TRY(read_remotes(project));
    std::vector<std::string> names;
    for (const auto& r : remotes) {
        if (r.name == name) {
            return r;
        }
        names.push_back(r.name);
    }
    if (names.empty()) {
        return fail(ErrorCode::not_found,
                    "no remote '{}': this project has none (add one with `llmops remote add {} "
                    "postgresql://...`)",
                    name, name);
    }
    return fail(ErrorCode::not_found, "no remote '{}' (remotes: {})", name, fmt::join(names, ", "));
}

Expected<Remote> add_remote(const store::Project& project, const std::string& name,
                            const std::string& url) {
    if (!valid_name(name)) {
        return fail(ErrorCode::invalid_input,
                    "remote name '{}' must be lowercase letters, digits, '.', '_' or '-'", name);
    }
    LLMOPS_TRY(check_url(url));
    auto remotes = LLMOPS_TRY(read_remotes(project));
    for (const auto& r : remotes) {
        if (r.name == name) {
            return fail(ErrorCode::conflict, "remote '{}' already exists ({}); remove it first",
                        name, display_url(r.url));
        }
    }
    remotes.push_back({name, url});
    std::sort(remotes.begin(), remotes.end(),
              [](const Remote& a, const Remote& b) { return a.name < b.name; });
    LLMOPS_TRY(write_remotes(project, remotes));
    return Remote{name, url};
}

Expected<void> remove_remote(const store::Project& project, const std::string& name) {
    LLMOPS_TRY(find_remote(project, name));
    auto remotes = LLMOPS_TRY(read_remotes(project));
    std::erase_if(remotes, [&](const Remote& r) { return r.name == name; });
    return write_remotes(project, remotes);
}

std::string display_url(const std::string& url) {
    // The user stays (it says which role); a password, which `add_remote` refuses, would not:
    // neither in the user part nor as a `password=` parameter.
    std::string out = url;
    const auto scheme = out.find("://");
    const auto authority = scheme == std::string::npos ? 0 : scheme + 3;
    const auto at = out.find('@', authority);
    const auto slash = out.find('/', authority);
    if (at != std::string::npos && (slash == std::string::npos || at < slash)) {
        const auto colon = out.find(':', authority);
        if (colon != std::string::npos && colon < at) {
            out.erase(colon, at - colon);
        }
    }
    for (auto at_param = out.find("password="); at_param != std::string::npos;
         at_param = out.find("password=", at_param + 1)) {
        const char before = at_param == 0 ? '\0' : out[at_param - 1];
        if (before == '?' || before == '&') {
            const auto end = out.find('&', at_param);
            out.replace(at_param, (end == std::string::npos ? out.size() : end) - at_param,
                        "password=***");
        }
    }
    return out;
}

std::string describe(const Remote& remote) {
    return fmt::format("remote '{}' ({})", remote.name, display_url(remote.url));
}

Expected<PgConnection> connect(const Remote& remote) {
    const auto [conninfo, variable] = split_password_env(remote.url);
    std::optional<std::string> password;
    if (variable) {
        const char* value = std::getenv(variable->c_str());
        if (value == nullptr) {
            return fail(ErrorCode::invalid_input,
                        "{} takes its password from ${}, which is not set", describe(remote),
                        *variable);
        }
        password = value;
    }
    return PgConnection::connect(conninfo, password, describe(remote));
}

} // namespace llmops::remote
