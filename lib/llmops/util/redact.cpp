#include <llmops/util/redact.hpp>

#include <algorithm>
#include <cctype>

#include <nlohmann/json.hpp>

#include <llmops/util/hash.hpp>

namespace llmops::util {

namespace {

constexpr std::string_view k_replacement = "[redacted]";

// Secrets (and their base64 parts) shorter than this could turn up by chance in any blob.
constexpr size_t k_min_base64 = 8;

// A user name alone in a URL (`https://TOKEN@host`) is taken for a token when it is at least
// this long; a short one (`admin@`) is a name: stripped from the URL, not hunted in outputs.
constexpr size_t k_min_token_user = 16;

int hex_value(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

// The byte a `%XX` at `i` stands for, or -1.
int percent_byte(std::string_view text, size_t i) {
    if (i + 2 >= text.size()) {
        return -1;
    }
    const int hi = hex_value(text[i + 1]);
    const int lo = hex_value(text[i + 2]);
    return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
}

// The length of the JSON escape at `i` (a backslash) when it stands for `c`, else 0.
size_t json_escape_length(std::string_view text, size_t i, unsigned char c) {
    if (i + 1 >= text.size()) {
        return 0;
    }
    static constexpr std::string_view k_from = "\"\\/bfnrt";
    static constexpr std::string_view k_to = "\"\\/\b\f\n\r\t";
    const char e = text[i + 1];
    if (const size_t at = k_from.find(e); at != std::string_view::npos) {
        return static_cast<unsigned char>(k_to[at]) == c ? 2 : 0;
    }
    if (e != 'u' || i + 5 >= text.size() || c >= 0x80) {
        return 0;
    }
    int code = 0;
    for (size_t k = i + 2; k < i + 6; ++k) {
        const int digit = hex_value(text[k]);
        if (digit < 0) {
            return 0;
        }
        code = code * 16 + digit;
    }
    return code == c ? 6 : 0;
}

// The length of the text at `pos` that spells `secret`, each byte plain, percent-encoded, `+`
// (for a space) or JSON-escaped; 0 when it does not. Greedy: an escape is tried before the
// plain byte, so a backslash or percent sign of the secret's own still matches.
size_t match_at(std::string_view text, size_t pos, std::string_view secret) {
    size_t i = pos;
    for (const char ch : secret) {
        const auto c = static_cast<unsigned char>(ch);
        if (i >= text.size()) {
            return 0;
        }
        const char t = text[i];
        if (t == '\\') {
            if (const size_t n = json_escape_length(text, i, c)) {
                i += n;
                continue;
            }
        } else if (t == '%' && percent_byte(text, i) == c) {
            i += 3;
            continue;
        } else if (t == '+' && c == ' ') {
            ++i;
            continue;
        }
        if (static_cast<unsigned char>(t) != c) {
            return 0;
        }
        ++i;
    }
    return i - pos;
}

bool base64_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/' || c == '-' ||
           c == '_';
}

// The base64 text every blob holding `secret` contains, whatever the bytes around it: for each
// of the three alignments, the encoding of the secret's whole 3-byte groups from that offset.
std::vector<std::string> base64_parts(std::string_view secret) {
    std::vector<std::string> parts;
    if (secret.size() < k_min_base64) {
        return parts;
    }
    for (size_t offset = 0; offset < 3 && offset < secret.size(); ++offset) {
        const size_t whole = (secret.size() - offset) / 3 * 3;
        std::string standard = base64_encode(secret.substr(offset, whole));
        if (standard.size() < k_min_base64) {
            continue;
        }
        std::string url_safe = standard;
        std::replace(url_safe.begin(), url_safe.end(), '+', '-');
        std::replace(url_safe.begin(), url_safe.end(), '/', '_');
        if (url_safe != standard) {
            parts.push_back(std::move(url_safe));
        }
        parts.push_back(std::move(standard));
    }
    return parts;
}

// Replaces each blob holding `part` in `text`, padding included.
void redact_base64(std::string& text, const std::string& part) {
    size_t from = 0;
    size_t at = 0;
    while ((at = text.find(part, from)) != std::string::npos) {
        size_t begin = at;
        while (begin > 0 && base64_char(text[begin - 1])) {
            --begin;
        }
        size_t end = at + part.size();
        while (end < text.size() && (base64_char(text[end]) || text[end] == '=')) {
            ++end;
        }
        text.replace(begin, end - begin, k_replacement);
        from = begin + k_replacement.size();
    }
}

std::string lower_snake(std::string_view name) {
    std::string out(name);
    for (char& c : out) {
        c = c == '-' ? '_' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return out;
}

enum class Plus { literal, space };

std::string percent_decode(std::string_view text, Plus plus = Plus::literal) {
    std::string out;
    for (size_t i = 0; i < text.size(); ++i) {
        const int byte = text[i] == '%' ? percent_byte(text, i) : -1;
        if (byte >= 0) {
            out += static_cast<char>(byte);
            i += 2;
        } else {
            out += text[i] == '+' && plus == Plus::space ? ' ' : text[i];
        }
    }
    return out;
}

bool has_tag(std::string_view text) {
    return text.find("{{") != std::string_view::npos;
}

// Where the parts of a URL are: [authority, authority_end) holds any userinfo, then the path,
// `?query` and `#fragment` (npos when absent).
struct UrlParts {
    size_t authority = std::string_view::npos;
    size_t authority_end = 0;
    size_t query = std::string_view::npos;
    size_t fragment = std::string_view::npos;
};

UrlParts split_url(std::string_view url) {
    UrlParts parts;
    const size_t scheme_end = url.find("://");
    if (scheme_end == std::string_view::npos) {
        return parts;
    }
    parts.authority = scheme_end + 3;
    parts.authority_end = url.find_first_of("/?#", parts.authority);
    if (parts.authority_end == std::string_view::npos) {
        parts.authority_end = url.size();
    }
    parts.fragment = url.find('#', parts.authority_end);
    const size_t query = url.find('?', parts.authority_end);
    if (query != std::string_view::npos && query < parts.fragment) {
        parts.query = query;
    }
    return parts;
}

// The parameters of `params` ("a=1&key=2") whose names do not look secret, joined again; the
// secret values go to `secrets` when given.
std::string keep_public_params(std::string_view params, std::vector<std::string>* secrets) {
    std::string kept;
    size_t start = 0;
    while (start <= params.size()) {
        size_t end = params.find('&', start);
        if (end == std::string_view::npos) {
            end = params.size();
        }
        const std::string_view param = params.substr(start, end - start);
        const size_t eq = param.find('=');
        const std::string_view name = param.substr(0, eq);
        const std::string_view value =
            eq == std::string_view::npos ? std::string_view() : param.substr(eq + 1);
        if (!param.empty() && !secret_name(percent_decode(name, Plus::space))) {
            kept += (kept.empty() ? "" : "&") + std::string(param);
        } else if (secrets != nullptr && !value.empty() && !has_tag(value)) {
            // A `+` is a space to form decoders and itself to others: both are the secret.
            secrets->push_back(percent_decode(value, Plus::space));
            if (value.find('+') != std::string_view::npos) {
                secrets->push_back(percent_decode(value));
            }
        }
        start = end + 1;
    }
    return kept;
}

// Rebuilds `url` without userinfo and secret parameters; collects the secrets when asked.
std::string clean_url(std::string_view url, std::vector<std::string>* secrets) {
    const UrlParts parts = split_url(url);
    if (parts.authority == std::string_view::npos) {
        return std::string(url);
    }
    std::string out(url.substr(0, parts.authority));
    std::string_view authority = url.substr(parts.authority, parts.authority_end - parts.authority);
    if (const size_t at = authority.rfind('@'); at != std::string_view::npos) {
        const std::string_view userinfo = authority.substr(0, at);
        const size_t colon = userinfo.find(':');
        const std::string_view secret = colon != std::string_view::npos ? userinfo.substr(colon + 1)
                                        : userinfo.size() >= k_min_token_user ? userinfo
                                                                              : std::string_view();
        if (secrets != nullptr && !secret.empty() && !has_tag(secret)) {
            secrets->push_back(percent_decode(secret));
        }
        authority = authority.substr(at + 1);
    }
    out += authority;
    const size_t path_end = std::min(parts.query, parts.fragment);
    out += url.substr(parts.authority_end, std::min(path_end, url.size()) - parts.authority_end);
    if (parts.query != std::string_view::npos) {
        const size_t end = std::min(parts.fragment, url.size());
        const std::string query =
            keep_public_params(url.substr(parts.query + 1, end - parts.query - 1), secrets);
        out += query.empty() ? "" : "?" + query;
    }
    if (parts.fragment != std::string_view::npos) {
        const std::string_view fragment = url.substr(parts.fragment + 1);
        // A fragment of parameters (OAuth's `#access_token=...`) is cleaned like a query.
        const std::string kept = fragment.find('=') == std::string_view::npos
                                     ? std::string(fragment)
                                     : keep_public_params(fragment, secrets);
        out += kept.empty() ? "" : "#" + kept;
    }
    return out;
}

bool scheme_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.';
}

// Where the URL whose `://` is at `sep` ends in free text.
size_t url_end(std::string_view text, size_t sep) {
    size_t i = sep + 3;
    while (i < text.size()) {
        if (text.substr(i, 2) == "{{") {
            const size_t close = text.find("}}", i + 2);
            i = close == std::string_view::npos ? text.size() : close + 2;
            continue;
        }
        const char c = text[i];
        if (std::isspace(static_cast<unsigned char>(c)) || c == '"' || c == '\'' || c == '<' ||
            c == '>' || c == '`') {
            break;
        }
        ++i;
    }
    return i;
}

} // namespace

Redactor::Redactor(const std::vector<std::string>& secrets, Short short_secrets) {
    for (const auto& secret : secrets) {
        const bool dropped = short_secrets == Short::kept && secret.size() < k_short;
        if (secret.empty() || dropped ||
            std::any_of(m_secrets.begin(), m_secrets.end(),
                        [&](const Secret& s) { return s.raw == secret; })) {
            continue;
        }
        m_secrets.push_back({secret, base64_parts(secret)});
    }
    // A secret holding another is replaced whole, not around the shorter one.
    std::stable_sort(m_secrets.begin(), m_secrets.end(),
                     [](const Secret& a, const Secret& b) { return a.raw.size() > b.raw.size(); });
}

std::string Redactor::redact(std::string_view text) const {
    if (m_secrets.empty()) {
        return std::string(text);
    }
    std::string out;
    out.reserve(text.size());
    size_t i = 0;
    while (i < text.size()) {
        size_t matched = 0;
        for (const auto& secret : m_secrets) {
            if ((matched = match_at(text, i, secret.raw)) != 0) {
                break;
            }
        }
        if (matched != 0) {
            out += k_replacement;
            i += matched;
        } else {
            out += text[i++];
        }
    }
    for (const auto& secret : m_secrets) {
        for (const auto& part : secret.base64) {
            redact_base64(out, part);
        }
    }
    return out;
}

void Redactor::redact_json(nlohmann::json& value) const {
    if (m_secrets.empty()) {
        return;
    }
    // A stack rather than recursion: stored JSON may nest deeply.
    std::vector<nlohmann::json*> stack{&value};
    while (!stack.empty()) {
        nlohmann::json* v = stack.back();
        stack.pop_back();
        if (v->is_string()) {
            *v = redact(v->get_ref<const std::string&>());
        } else if (v->is_structured()) {
            for (auto& member : *v) {
                stack.push_back(&member);
            }
        }
    }
}

std::string redact(std::string_view text, const std::vector<std::string>& secrets) {
    return Redactor(secrets).redact(text);
}

bool secret_name(std::string_view name) {
    const std::string n = lower_snake(name);
    if (n == "auth" || n == "authorization" || n == "sig" || n == "pwd" || n == "pass" ||
        n.ends_with("key")) {
        return true;
    }
    for (std::string_view word :
         {"token", "secret", "passw", "signature", "credential", "session"}) {
        if (n.find(word) != std::string::npos) {
            return true;
        }
    }
    return false;
}

std::string sanitize_url(std::string_view url) {
    return clean_url(url, nullptr);
}

std::vector<std::string> url_secrets(std::string_view url) {
    std::vector<std::string> secrets;
    (void)clean_url(url, &secrets);
    std::erase(secrets, std::string());
    return secrets;
}

std::string sanitize_urls(std::string_view text) {
    std::string out;
    size_t done = 0;
    size_t sep = 0;
    while ((sep = text.find("://", sep)) != std::string_view::npos) {
        size_t start = sep;
        while (start > done && scheme_char(text[start - 1])) {
            --start;
        }
        if (start == sep || !std::isalpha(static_cast<unsigned char>(text[start]))) {
            sep += 3;
            continue;
        }
        const size_t end = url_end(text, sep);
        out += text.substr(done, start - done);
        out += sanitize_url(text.substr(start, end - start));
        done = end;
        sep = end;
    }
    out += text.substr(done);
    return out;
}

void sanitize_urls(nlohmann::json& value) {
    std::vector<nlohmann::json*> stack{&value};
    while (!stack.empty()) {
        nlohmann::json* v = stack.back();
        stack.pop_back();
        if (v->is_string()) {
            const auto& text = v->get_ref<const std::string&>();
            if (text.find("://") != std::string::npos) {
                *v = sanitize_urls(text);
            }
        } else if (v->is_structured()) {
            for (auto& member : *v) {
                stack.push_back(&member);
            }
        }
    }
}

} // namespace llmops::util
