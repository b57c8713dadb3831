#include <llmops/util/hash.hpp>

#include <array>
#include <cstdint>
#include <cstring>
#include <stdexcept>

#include <dlfcn.h>

#include <fmt/format.h>
#include <openssl/evp.h>

#include <llmops/util/dynamic_library.hpp>

namespace llmops::util {

namespace {

// libcrypto is opened at the first hash, not linked: linked, the loader maps it (and OpenSSL's
// tables) into every start of llmops, `--version` included (docs/development.md,
// "Dependencies"). Its header still types every function. OpenSSL 3's ABI is that of its soname.
struct Crypto {
    decltype(&::EVP_Digest) digest = nullptr;
    decltype(&::EVP_sha256) sha256 = nullptr;
    decltype(&::EVP_MD_CTX_new) ctx_new = nullptr;
    decltype(&::EVP_MD_CTX_free) ctx_free = nullptr;
    decltype(&::EVP_DigestInit_ex) init = nullptr;
    decltype(&::EVP_DigestUpdate) update = nullptr;
    decltype(&::EVP_DigestFinal_ex) finish = nullptr;
};

const Crypto& crypto() {
    static const Crypto k_api = [] {
        void* lib = ::dlopen("libcrypto.so.3", RTLD_NOW | RTLD_LOCAL);
        if (lib == nullptr) {
            throw std::runtime_error(fmt::format(
                "cannot load libcrypto ({}): install Debian's libssl3 package", ::dlerror()));
        }
        Crypto api;
        const auto load = [lib](auto& function, const char* name) {
            if (!util::resolve_symbol(lib, name, function)) {
                throw std::runtime_error(
                    fmt::format("libcrypto.so.3 has no {}: it is not OpenSSL 3", name));
            }
        };
        load(api.digest, "EVP_Digest");
        load(api.sha256, "EVP_sha256");
        load(api.ctx_new, "EVP_MD_CTX_new");
        load(api.ctx_free, "EVP_MD_CTX_free");
        load(api.init, "EVP_DigestInit_ex");
        load(api.update, "EVP_DigestUpdate");
        load(api.finish, "EVP_DigestFinal_ex");
        return api;
    }();
    return k_api;
}

std::string to_hex(const unsigned char* digest, unsigned int length) {
    static constexpr char k_hex[] = "0123456789abcdef";
    std::string out;
    out.reserve(length * 2);
    for (unsigned int i = 0; i < length; ++i) {
        out += k_hex[digest[i] >> 4];
        out += k_hex[digest[i] & 0x0F];
    }
    return out;
}

} // namespace

std::string sha256_hex(std::string_view data) {
    const std::string digest = sha256_digest(data);
    return to_hex(reinterpret_cast<const unsigned char*>(digest.data()),
                  static_cast<unsigned int>(digest.size()));
}

std::string sha256_digest(std::string_view data) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int length = 0;
    // EVP_Digest only fails on allocation failure; that is not a user error.
    const Crypto& api = crypto();
    if (api.digest(data.data(), data.size(), digest.data(), &length, api.sha256(), nullptr) != 1) {
        throw std::runtime_error("SHA-256 computation failed");
    }
    return std::string(reinterpret_cast<const char*>(digest.data()), length);
}

std::string base64_encode(std::string_view bytes) {
    static constexpr char k_alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    auto byte = [&](size_t at) {
        return static_cast<uint32_t>(static_cast<unsigned char>(bytes[at]));
    };
    size_t i = 0;
    // Three bytes make four characters; a last group of one or two bytes is padded with '='.
    for (; i + 3 <= bytes.size(); i += 3) {
        const uint32_t group = byte(i) << 16 | byte(i + 1) << 8 | byte(i + 2);
        out += k_alphabet[group >> 18 & 0x3F];
        out += k_alphabet[group >> 12 & 0x3F];
        out += k_alphabet[group >> 6 & 0x3F];
        out += k_alphabet[group & 0x3F];
    }
    const size_t rest = bytes.size() - i;
    if (rest > 0) {
        const uint32_t group = byte(i) << 16 | (rest == 2 ? byte(i + 1) << 8 : 0);
        out += k_alphabet[group >> 18 & 0x3F];
        out += k_alphabet[group >> 12 & 0x3F];
        out += rest == 2 ? k_alphabet[group >> 6 & 0x3F] : '=';
        out += '=';
    }
    return out;
}

struct Sha256::State {
    EVP_MD_CTX* ctx = nullptr;
    ~State() {
        if (ctx != nullptr) {
            crypto().ctx_free(ctx);
        }
    }
};

Sha256::Sha256() : m_state(std::make_unique<State>()) {
    const Crypto& api = crypto();
    m_state->ctx = api.ctx_new();
    if (m_state->ctx == nullptr || api.init(m_state->ctx, api.sha256(), nullptr) != 1) {
        throw std::runtime_error("SHA-256 initialisation failed");
    }
}

Sha256::~Sha256() = default;
Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;

void Sha256::update(std::string_view data) {
    if (crypto().update(m_state->ctx, data.data(), data.size()) != 1) {
        throw std::runtime_error("SHA-256 computation failed");
    }
}

std::string Sha256::hex_digest() {
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int length = 0;
    if (crypto().finish(m_state->ctx, digest.data(), &length) != 1) {
        throw std::runtime_error("SHA-256 computation failed");
    }
    return to_hex(digest.data(), length);
}

} // namespace llmops::util
