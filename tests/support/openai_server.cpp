#include "support/openai_server.hpp"

#include <chrono>

#include <nlohmann/json.hpp>

namespace llmops::test {

OpenAiServer::OpenAiServer() {
    m_server.post("/v1/chat/completions", [this](const httplib::Request& req,
                                                 httplib::Response& res) {
        const auto body = nlohmann::json::parse(req.body, nullptr, false);
        std::string question;
        if (body.is_object() && body.contains("messages") && body["messages"].is_array() &&
            !body["messages"].empty()) {
            const auto& last = body["messages"].back();
            if (last.is_object() && last.contains("content") && last["content"].is_string()) {
                question = last["content"].get<std::string>();
            }
        }
        std::string key = req.get_header_value("Authorization");
        if (key.starts_with("Bearer ")) {
            key = key.substr(7);
        }
        {
            std::lock_guard lock(m_mutex);
            m_asked[key].push_back(question);
        }
        if (!m_released && m_answer_budget.fetch_sub(1) <= 0) {
            ++m_held;
            while (!m_released && m_server.sleep_unless_stopping(std::chrono::milliseconds(5))) {
            }
            --m_held;
        }
        const nlohmann::json answer{
            {"choices",
             {{{"index", 0},
               {"finish_reason", "stop"},
               {"message", {{"role", "assistant"}, {"content", "answer to " + question}}}}}},
            {"usage", {{"prompt_tokens", 10}, {"completion_tokens", 5}}}};
        res.set_content(answer.dump(), "application/json");
    });
    m_server.start();
}

void OpenAiServer::hold_after(int n) {
    m_answer_budget = n;
    m_released = false;
}

void OpenAiServer::release() {
    m_released = true;
}

std::vector<std::string> OpenAiServer::asked(const std::string& key) const {
    std::lock_guard lock(m_mutex);
    auto it = m_asked.find(key);
    return it == m_asked.end() ? std::vector<std::string>{} : it->second;
}

} // namespace llmops::test
