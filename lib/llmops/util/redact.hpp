#pragma once
// The one place secrets are scrubbed from text before it can reach an error, a log, the store
// or a report (STYLE.md §3, SPEC §1 and §4), and where URLs are made fit to show: credentials
// and secret-looking query parameters stripped.

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace llmops::util {

// Scrubs known secret values from text, in every form they take on the way to a file: raw;
// URL-encoded (%XX in either case, `+` for a space, any mix of encoded and plain bytes);
// JSON-escaped (as nlohmann writes a string, also `\/` and `\u00XX`); base64, standard or
// URL-safe, padded or not, also inside a longer blob (`Basic base64(user:key)`) at any
// alignment, the whole blob then being replaced. Each match becomes "[redacted]". Empty secrets
// are ignored; longer secrets are matched first. Build once, use many times; thread-safe (const).
class Redactor {
public:
    // What becomes of secrets shorter than 8 characters (`x`, `EMPTY`: the dummy keys of local
    // servers). In llmops' own messages they are replaced (but not looked for in base64); in
    // answers and other text llmops did not write they are kept, since replacing every `x` of
    // an answer would corrupt it, and a real key is never that short.
    enum class Short { replaced, kept };

    Redactor() = default;
    explicit Redactor(const std::vector<std::string>& secrets,
                      Short short_secrets = Short::replaced);

    // True when there is nothing to redact (then `redact` copies its input).
    bool empty() const { return m_secrets.empty(); }

    // Returns `text` with every secret replaced.
    std::string redact(std::string_view text) const;

    // Redacts every string in `value` (object keys are left alone), in place.
    void redact_json(nlohmann::json& value) const;

private:
    static constexpr size_t k_short = 8;
    struct Secret {
        std::string raw;
        std::vector<std::string> base64; // the blobs' parts that only this secret can produce
    };
    std::vector<Secret> m_secrets;
};

// Returns `text` with every secret in `secrets` replaced by "[redacted]" (Redactor's rules,
// short secrets replaced): for messages.
std::string redact(std::string_view text, const std::vector<std::string>& secrets);

// Returns `url` fit to store or show: without its userinfo (`user:password@`), and without the
// query (and fragment) parameters whose names look secret (secret_name). Template tags
// (`{{ env.KEY }}`) may appear anywhere. Text without `://` comes back unchanged.
std::string sanitize_url(std::string_view url);

// Returns `text` with every URL in it (`scheme://...` up to white space, a quote, `<` or `>`;
// template tags are kept whole) passed through sanitize_url: for command lines and messages.
std::string sanitize_urls(std::string_view text);

// Sanitizes every URL in every string of `value` (object keys are left alone), in place.
void sanitize_urls(nlohmann::json& value);

// Returns the secret values `url` carries, percent-decoded: the password of its userinfo (or a
// user name of 16 characters or more without one: a token used as a name), and the values of its
// secret-looking query and fragment parameters. Parts holding a template tag are left out (the
// values the tags stand for are secrets of their own).
std::vector<std::string> url_secrets(std::string_view url);

// True when a parameter or key called `name` looks like it holds a secret: (any case, `-` as
// `_`) `key` or a name ending in `key` (api_key, apikey, subscription-key), names containing
// `token`, `secret`, `passw`, `signature`, `credential` or `session`, and `auth`,
// `authorization`, `sig`, `pwd`, `pass`.
bool secret_name(std::string_view name);

} // namespace llmops::util
