#include <llmops/report/diff_html.hpp>

#include <algorithm>
#include <cmath>
#include <iterator>
#include <optional>
#include <string_view>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <llmops/report/case_inputs.hpp>
#include <llmops/report/diff_format.hpp>
#include <llmops/report/escape.hpp>
#include <llmops/util/diff.hpp>
#include <llmops/util/hash.hpp>
#include <llmops/util/money.hpp>

namespace llmops::report {

namespace {

using compare::CaseChange;

constexpr size_t k_max_output_chars = 500; // of each output in the case table
constexpr size_t k_max_reason_chars = 300;
constexpr size_t k_max_inputs_chars = 300;  // of a case's variables on one line
constexpr size_t k_max_prompt_chars = 2000; // of each rendered prompt
constexpr size_t k_max_chart_label = 40;    // code points of a variant's label in a chart

// The stylesheet and the script are constants so that their hashes, which the
// Content-Security-Policy lists, are computed from exactly the bytes written.
//
// `--llmops-style` does nothing visible: the script reads it back to record on <body> that the
// policy admitted the stylesheet (the browser test looks for data-llmops-style).
constexpr std::string_view k_style = R"css(
:root{--fg:#1f2328;--muted:#59636e;--bg:#fff;--line:#d1d9e0;--bad:#cf222e;--good:#1a7f37;
--base:#8c959f;--cand:#0969da;--badbg:#ffebe9;--goodbg:#dafbe1;--llmops-style:1}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--muted:#9198a1;--bg:#0d1117;
--line:#3d444d;--bad:#f85149;--good:#3fb950;--base:#656c76;--cand:#4493f8;--badbg:#3c1618;
--goodbg:#12261e}}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);
background:var(--bg);margin:0 auto;padding:16px 24px;max-width:1400px}
h1{font-size:22px;margin:8px 0}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid var(--line)}
h3{font-size:15px;margin:18px 0 6px}
.muted,.note{color:var(--muted)}
.gate{color:var(--bad);font-weight:600}
table{border-collapse:collapse;margin:6px 0}
th,td{border:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}
th{font-weight:600}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.v-better{color:var(--good);font-weight:600}.v-worse{color:var(--bad);font-weight:600}
.v-no-significant-change{color:var(--muted)}
.chart{display:block;max-width:100%;height:auto;margin:8px 0}
.chart text{fill:var(--fg);font-size:12px}.chart .tick{fill:var(--muted);font-size:11px}
.chart .grid{stroke:var(--line);stroke-width:1}.chart .axis{fill:none;stroke:var(--muted);stroke-width:1}
.chart .bar.baseline{fill:var(--base)}.chart .bar.candidate{fill:var(--cand)}
.chart .err{fill:none;stroke:var(--fg);stroke-width:1.5}
.chart .pt{stroke:var(--cand);stroke-width:2}.chart .pt.front{fill:var(--cand)}
.chart .pt.dominated{fill:var(--bg)}
.chart .front-line{fill:none;stroke:var(--cand);stroke-width:1.5;stroke-dasharray:5 4}
.filters,.pager{display:flex;gap:16px;align-items:center;flex-wrap:wrap;margin:8px 0}
.filters input[type=search]{min-width:400px;padding:4px 8px}
table.cases{width:100%;table-layout:fixed}
table.cases col.case{width:13%}table.cases col.inputs{width:16%}table.cases col.change{width:8%}
table.cases col.status{width:7%}
.inputs{font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;overflow-wrap:anywhere}
details.prompt{margin-top:4px}details.prompt summary{color:var(--muted);font-size:12px;cursor:pointer}
.scroll{overflow-x:auto;max-width:100%}
.case-id{font-weight:600;overflow-wrap:anywhere}.desc{color:var(--muted);overflow-wrap:anywhere}
.text{white-space:pre-wrap;overflow-wrap:anywhere;max-height:16em;overflow:auto;
font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
.reason{color:var(--muted);font-size:12px;margin-bottom:4px;overflow-wrap:anywhere}
tr.ch-regression{background:var(--badbg)}tr.ch-fix{background:var(--goodbg)}
tr.ch-regression td.change,.st-fail,.st-error{color:var(--bad);font-weight:600}
tr.ch-fix td.change,.st-pass{color:var(--good)}
.prompt-diff .text{max-height:none;margin:6px 0}.prompt-diff .add{color:var(--good)}
.prompt-diff .del{color:var(--bad)}.prompt-diff .hunk,.prompt-diff .file{color:var(--muted)}
.prompt-diff .add{background:var(--goodbg)}
.prompt-diff .del{background:var(--badbg)}
@media (max-width:700px){body{padding:8px 10px}.filters input[type=search]{min-width:0;width:100%}
table.cases,table.cases tbody,table.cases tr,table.cases td{display:block;width:auto}
table.cases colgroup,table.cases thead{display:none}table.cases tr{border-top:2px solid var(--line)}
table.cases td{border:0;padding:2px 4px}}
[hidden]{display:none!important}
)css";

// Pages through the cases of each comparison (held as JSON, rows built for one page at a time,
// so 10,000 cases cost one JSON.parse and 100 rows), with one delegated handler per event type.
// Model text only ever reaches the page through textContent.
constexpr std::string_view k_script = R"js(
(function () {
  'use strict';
  var PAGE = 100;
  var block = document.getElementById('llmops-cases');
  var data = block ? JSON.parse(block.textContent) : {sides: [], tables: []};
  var NONE = ['', '', '', ''];
  var tables = [];
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text) e.textContent = text;
    return e;
  }
  function status(text) {
    var kind = /^(pass|fail|error)$/.test(text) ? text : (text ? 'mixed' : 'none');
    return el('td', 'status st-' + kind, text || '\u2014');
  }
  function output(text, reason, prompt) {
    var td = el('td', 'output');
    if (reason) td.appendChild(el('div', 'reason', reason));
    td.appendChild(el('div', 'text', text));
    if (prompt) {
      var d = el('details', 'prompt');
      d.appendChild(el('summary', '', 'prompt'));
      d.appendChild(el('div', 'text', prompt));
      td.appendChild(d);
    }
    return td;
  }
  function sideA(t, r) { return r[3] < 0 ? NONE : t.a[r[3]]; }
  function sideB(t, r) { return r[4] < 0 ? NONE : t.b[r[4]]; }
  function row(t, r) {
    var a = sideA(t, r), b = sideB(t, r);
    var tr = el('tr', 'ch-' + r[2].replace(/ /g, '-'));
    var id = el('td', 'case');
    id.appendChild(el('div', 'case-id', r[0]));
    if (r[1]) id.appendChild(el('div', 'desc', r[1]));
    tr.appendChild(id);
    tr.appendChild(el('td', 'inputs', r[6] || ''));
    if (t.single) {
      tr.appendChild(status(a[0]));
      tr.appendChild(output(a[1], a[2], a[3]));
      return tr;
    }
    tr.appendChild(el('td', 'change', r[2]));
    tr.appendChild(status(a[0]));
    tr.appendChild(status(b[0]));
    tr.appendChild(output(a[1], a[2], a[3]));
    tr.appendChild(output(b[1], b[2], b[3]));
    return tr;
  }
  function render(t) {
    var body = document.createElement('tbody');
    var start = t.page * PAGE, end = Math.min(t.matches.length, start + PAGE);
    for (var k = start; k < end; k++) body.appendChild(row(t, t.rows[t.matches[k]]));
    t.table.replaceChild(body, t.table.tBodies[0]);
    var n = t.matches.length, all = t.rows.length;
    t.info.textContent = n === 0 ? 'no case matches' :
      'cases ' + (start + 1) + '\u2013' + end + ' of ' + n + (n < all ? ' matching (' + all + ' in all)' : '');
    t.prev.disabled = t.page === 0;
    t.next.disabled = end >= n;
  }
  function filter(t) {
    var q = t.query, m = [];
    if (q && !t.hay) {
      t.hay = t.rows.map(function (r) {
        var a = sideA(t, r), b = sideB(t, r);
        return [r[0], r[1], r[6] || '', a[1], a[2], b[1], b[2]].join('\n').toLowerCase();
      });
    }
    for (var i = 0; i < t.rows.length; i++) {
      var r = t.rows[i];
      if (t.regressions && r[2] !== 'regression') continue;
      if (t.failures && !r[5]) continue;
      if (q && t.hay[i].indexOf(q) < 0) continue;
      m.push(i);
    }
    t.matches = m;
    t.page = 0;
    render(t);
  }
  function tableOf(node) {
    var section = node.closest ? node.closest('section[data-table]') : null;
    return section ? tables[+section.getAttribute('data-table')] : null;
  }
  var timer = 0;
  document.addEventListener('input', function (e) {
    var t = tableOf(e.target);
    if (!t || e.target.getAttribute('data-filter') !== 'search') return;
    var value = e.target.value;
    clearTimeout(timer);
    timer = setTimeout(function () { t.query = value.trim().toLowerCase(); filter(t); }, 150);
  });
  document.addEventListener('change', function (e) {
    var t = tableOf(e.target), f = e.target.getAttribute('data-filter');
    if (!t || (f !== 'regressions' && f !== 'failures')) return;
    t[f] = e.target.checked;
    filter(t);
  });
  document.addEventListener('click', function (e) {
    var t = tableOf(e.target), p = e.target.getAttribute('data-page');
    if (!t || !p) return;
    var last = Math.max(0, Math.ceil(t.matches.length / PAGE) - 1);
    t.page = Math.min(last, Math.max(0, t.page + (p === 'next' ? 1 : -1)));
    render(t);
  });
  var sections = document.querySelectorAll('section[data-table]');
  for (var i = 0; i < sections.length; i++) {
    var s = sections[i], index = +s.getAttribute('data-table');
    var spec = data.tables[index] || {a: 0, b: 0, rows: []};
    var t = {rows: spec.rows, a: data.sides[spec.a] || [], b: data.sides[spec.b] || [],
             single: spec.b < 0,
             table: s.querySelector('table.cases'),
             info: s.querySelector('.pager-info'), prev: s.querySelector('[data-page=prev]'),
             next: s.querySelector('[data-page=next]'), regressions: false, failures: false,
             query: '', hay: null, matches: [], page: 0};
    tables[index] = t;
    filter(t);
    var hidden = s.querySelectorAll('[hidden]');
    for (var h = 0; h < hidden.length; h++) hidden[h].hidden = false;
  }
  var drawn = 0, charts = document.querySelectorAll('svg.chart');
  for (var c = 0; c < charts.length; c++) if (charts[c].getBoundingClientRect().width > 0) drawn++;
  var body = document.body;
  body.setAttribute('data-llmops-charts', String(drawn));
  if (getComputedStyle(document.documentElement).getPropertyValue('--llmops-style').trim() === '1')
    body.setAttribute('data-llmops-style', '1');
  body.setAttribute('data-llmops-ready', '1');
})();
)js";

// ---- numbers: diff_format.hpp, as the text and Markdown reports write them
using namespace diff_format;

// ---- the variants and their Pareto front

// One side as the charts draw it; sides shared by several comparisons (the baseline of `diff
// RUN`) appear once.
struct Variant {
    const compare::Side* side = nullptr;
    bool baseline = false;
    bool standalone = false; // a variant of a run's report, compared with nothing
    std::optional<double> pass_rate;
    std::optional<stats::Interval> interval;
    std::optional<double> cost_per_case;
    int64_t unpriced = 0;
    bool front = false; // on the Pareto front of cost per case against pass rate
};

// A variant is on the front when no other is at least as cheap and at least as good, and
// strictly one of the two. Variants without a pass rate or a cost take no part.
void mark_pareto_front(std::vector<Variant>& vs) {
    auto drawn = [](const Variant& v) { return v.pass_rate && v.cost_per_case; };
    for (auto& v : vs) {
        if (!drawn(v))
            continue;
        v.front = std::none_of(vs.begin(), vs.end(), [&](const Variant& w) {
            return drawn(w) && *w.cost_per_case <= *v.cost_per_case &&
                   *w.pass_rate >= *v.pass_rate &&
                   (*w.cost_per_case < *v.cost_per_case || *w.pass_rate > *v.pass_rate);
        });
    }
}

std::vector<Variant> variants_of(const std::vector<compare::Comparison>& comparisons) {
    std::vector<Variant> out;
    auto add = [&](const compare::Side* side, bool baseline, const compare::MetricDiff* rate,
                   const compare::Usage& usage) {
        for (auto& v : out) {
            if (v.side == side) {
                v.baseline = v.baseline || baseline;
                return;
            }
        }
        Variant v;
        v.side = side;
        v.baseline = baseline;
        if (rate != nullptr) {
            v.pass_rate = baseline ? rate->baseline : rate->candidate;
            v.interval = baseline ? rate->baseline_interval : rate->candidate_interval;
        }
        v.cost_per_case = usage.cost_per_case;
        v.unpriced = usage.unpriced;
        out.push_back(v);
    };
    for (const auto& c : comparisons) {
        const auto* rate = c.metric("pass rate");
        add(c.baseline, true, rate, c.baseline_usage);
        add(c.candidate, false, rate, c.candidate_usage);
    }
    mark_pareto_front(out);
    return out;
}

// The variants of a run's report, each on its own.
std::vector<Variant> variants_of(const std::vector<compare::Side>& sides, double alpha) {
    std::vector<Variant> out;
    for (const auto& side : sides) {
        const auto summary = compare::summarize_side(side, alpha);
        Variant v;
        v.side = &side;
        v.standalone = true;
        v.pass_rate = summary.pass_rate;
        v.interval = summary.interval;
        v.cost_per_case = summary.usage.cost_per_case;
        v.unpriced = summary.usage.unpriced;
        out.push_back(v);
    }
    mark_pareto_front(out);
    return out;
}

size_t number_of(const std::vector<Variant>& vs, const compare::Side* side) {
    for (size_t i = 0; i < vs.size(); ++i) {
        if (vs[i].side == side)
            return i + 1;
    }
    return 0;
}

// "run 12:1 summarize@2 | openai:gpt-4o-mini", escaped.
std::string side_title(const compare::Side& s) {
    return html_text(fmt::format("{}:{} {}", s.name, s.variant, s.label));
}

// `s` cut to `max` code points in the middle when longer: variants often share a prompt and
// differ in the model, at the end of their labels.
std::string middle_cut(std::string_view s, size_t max) {
    size_t total = 0;
    head_text(s, 0, total);
    if (total <= max)
        return std::string(s);
    size_t dropped = 0;
    const std::string head = head_text(s, max / 2, dropped);
    const std::string before_tail = head_text(s, total - (max - max / 2 - 1), dropped);
    return head + "…" + std::string(s.substr(before_tail.size()));
}

std::string chart_label(size_t number, const compare::Side& s) {
    return html_text(fmt::format(
        "#{} {}", number, middle_cut(s.label.empty() ? s.name : s.label, k_max_chart_label)));
}

// ---- the charts

// Horizontal bars, one per variant, with the interval as an error bar.
std::string pass_rate_chart(const std::vector<Variant>& vs) {
    constexpr double left = 300, right = 640, top = 30, row = 28;
    const double height = top + row * static_cast<double>(vs.size()) + 10;
    auto x = [&](double rate) { return left + (right - left) * std::clamp(rate, 0.0, 1.0); };
    std::string svg = fmt::format(
        R"(<svg class="chart" id="chart-pass-rate" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 800 {0:.0f}" width="800" height="{0:.0f}" role="img" aria-labelledby="chart-pass-rate-title">)"
        "<title id=\"chart-pass-rate-title\">Pass rate per variant, with its interval</title>\n",
        height);
    for (int tick = 0; tick <= 100; tick += 20) {
        svg += fmt::format(
            R"(<line class="grid" x1="{0:.1f}" y1="{1:.1f}" x2="{0:.1f}" y2="{2:.1f}"/>)"
            R"(<text class="tick" x="{0:.1f}" y="{3:.1f}" text-anchor="middle">{4}%</text>)"
            "\n",
            x(tick / 100.0), top - 4, height - 10, top - 10, tick);
    }
    for (size_t i = 0; i < vs.size(); ++i) {
        const auto& v = vs[i];
        const double cy = top + row * static_cast<double>(i) + row / 2;
        svg += fmt::format(R"(<g class="variant" data-variant="{}"><title>{}</title>)", i + 1,
                           side_title(*v.side));
        svg += fmt::format(R"(<text x="{:.1f}" y="{:.1f}" text-anchor="end">{}</text>)", left - 8,
                           cy + 4, chart_label(i + 1, *v.side));
        if (!v.pass_rate) {
            svg +=
                fmt::format(R"(<text class="tick" x="{:.1f}" y="{:.1f}">no judged case</text></g>)"
                            "\n",
                            left + 4, cy + 4);
            continue;
        }
        svg += fmt::format(
            R"(<rect class="bar {}" x="{:.1f}" y="{:.1f}" width="{:.1f}" height="14"/>)",
            v.baseline ? "baseline" : "candidate", left, cy - 7, x(*v.pass_rate) - left);
        if (v.interval) {
            const double lo = x(v.interval->lower), hi = x(v.interval->upper);
            svg += fmt::format(
                R"(<path class="err" d="M{0:.1f} {1:.1f}H{2:.1f}M{0:.1f} {3:.1f}V{4:.1f}M{2:.1f} {3:.1f}V{4:.1f}"/>)",
                lo, cy, hi, cy - 5, cy + 5);
        }
        svg += fmt::format(R"(<text x="{:.1f}" y="{:.1f}">{} {}</text></g>)"
                           "\n",
                           right + 12, cy + 4, pct(v.pass_rate), interval_pct(v.interval));
    }
    return svg + "</svg>\n";
}

// A round step (1, 2 or 5 times a power of ten) near `raw`.
double nice_step(double raw) {
    if (!(raw > 0))
        return 1;
    const double power = std::pow(10.0, std::floor(std::log10(raw)));
    const double f = raw / power;
    return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * power;
}

struct Axis {
    double min = 0;
    double max = 1;
    double step = 0.25;
};

// Cost per case from 0 to a round value past the dearest variant.
Axis cost_axis(double dearest) {
    if (!(dearest > 0))
        return {0, 0.001, 0.00025}; // free variants (echo, cache): all at 0
    const double step = nice_step(dearest / 4);
    return {0, step * std::ceil(dearest * 1.05 / step), step};
}

// Pass rate zoomed to the variants' intervals, in steps of 5, 10 or 20 points.
Axis rate_axis(const std::vector<const Variant*>& drawn) {
    double lo = 1, hi = 0;
    for (const auto* v : drawn) {
        lo = std::min(lo, v->interval ? v->interval->lower : *v->pass_rate);
        hi = std::max(hi, v->interval ? v->interval->upper : *v->pass_rate);
    }
    Axis a{std::max(0.0, std::floor(lo * 10 - 0.5) / 10),
           std::min(1.0, std::ceil(hi * 10 + 0.5) / 10), 0};
    const double span = a.max - a.min;
    a.step = span <= 0.3 ? 0.05 : span <= 0.6 ? 0.1 : 0.2;
    return a;
}

std::string tick_money(double v, double step) {
    const int decimals = std::max(0, static_cast<int>(-std::floor(std::log10(step) + 1e-9)));
    return util::format_usd(v, {decimals, decimals, 0}); // one precision for every tick
}

// The Pareto front joined by a staircase: sorted by cost, each step goes right at the pass rate
// reached so far, then up to the next variant's.
template <class X, class Y>
std::string front_staircase(const std::vector<const Variant*>& drawn, X x, Y y) {
    std::vector<const Variant*> front;
    std::copy_if(drawn.begin(), drawn.end(), std::back_inserter(front),
                 [](const Variant* v) { return v->front; });
    if (front.size() < 2)
        return "";
    std::sort(front.begin(), front.end(), [](const Variant* a, const Variant* b) {
        return std::pair(*a->cost_per_case, *a->pass_rate) <
               std::pair(*b->cost_per_case, *b->pass_rate);
    });
    std::string d =
        fmt::format("M{:.1f} {:.1f}", x(*front[0]->cost_per_case), y(*front[0]->pass_rate));
    for (size_t i = 1; i < front.size(); ++i) {
        d += fmt::format("H{:.1f}V{:.1f}", x(*front[i]->cost_per_case), y(*front[i]->pass_rate));
    }
    return fmt::format(R"(<path class="front-line" d="{}"/>)"
                       "\n",
                       d);
}

// Cost per case (x, cheaper left) against pass rate (y, better up): one point per variant, the
// Pareto front filled and joined by a staircase (everything below and right of it is dominated).
std::string cost_quality_chart(const std::vector<Variant>& vs) {
    std::vector<const Variant*> drawn;
    double dearest = 0;
    for (const auto& v : vs) {
        if (v.pass_rate && v.cost_per_case) {
            drawn.push_back(&v);
            dearest = std::max(dearest, *v.cost_per_case);
        }
    }
    if (drawn.empty()) {
        return "<p class=\"note\" id=\"chart-cost-quality\">No variant has both a pass rate and a "
               "priced "
               "result, so there is no cost against quality chart.</p>\n";
    }
    constexpr double left = 90, right = 770, top = 20, bottom = 320, height = 390;
    const Axis xa = cost_axis(dearest);
    const Axis ya = rate_axis(drawn);
    auto x = [&](double cost) {
        return left + (right - left) * (cost - xa.min) / (xa.max - xa.min);
    };
    auto y = [&](double rate) {
        return bottom - (bottom - top) * (rate - ya.min) / (ya.max - ya.min);
    };
    std::string svg = fmt::format(
        R"(<svg class="chart" id="chart-cost-quality" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 800 {0:.0f}" width="800" height="{0:.0f}" role="img" aria-labelledby="chart-cost-quality-title">)"
        "<title id=\"chart-cost-quality-title\">Cost per case against pass rate, one point per "
        "variant, "
        "the Pareto front marked</title>\n",
        height);
    for (int i = 0; xa.min + i * xa.step <= xa.max * (1 + 1e-9); ++i) {
        const double v = xa.min + i * xa.step;
        svg += fmt::format(
            R"(<line class="grid" x1="{0:.1f}" y1="{1:.1f}" x2="{0:.1f}" y2="{2:.1f}"/>)"
            R"(<text class="tick" x="{0:.1f}" y="{3:.1f}" text-anchor="middle">{4}</text>)"
            "\n",
            x(v), top, bottom, bottom + 16, tick_money(v, xa.step));
    }
    for (int i = static_cast<int>(std::ceil(ya.min / ya.step - 1e-9)); i * ya.step <= ya.max + 1e-9;
         ++i) {
        const double v = i * ya.step;
        svg += fmt::format(
            R"(<line class="grid" x1="{0:.1f}" y1="{1:.1f}" x2="{2:.1f}" y2="{1:.1f}"/>)"
            R"(<text class="tick" x="{3:.1f}" y="{4:.1f}" text-anchor="end">{5:.0f}%</text>)"
            "\n",
            left, y(v), right, left - 6, y(v) + 4, 100 * v);
    }
    svg += fmt::format(
        R"(<path class="axis" d="M{0:.1f} {1:.1f}V{2:.1f}H{3:.1f}"/>)"
        R"(<text x="{4:.1f}" y="{5:.1f}" text-anchor="middle">cost per case (USD), cheaper to the left</text>)"
        R"svg(<text x="18" y="{6:.1f}" text-anchor="middle" transform="rotate(-90 18 {6:.1f})">pass rate, better up</text>)svg"
        "\n",
        left, top, bottom, right, (left + right) / 2, bottom + 36, (top + bottom) / 2);
    svg += front_staircase(drawn, x, y);
    for (const auto* v : drawn) {
        const size_t n = static_cast<size_t>(v - vs.data()) + 1;
        const double cx = x(*v->cost_per_case), cy = y(*v->pass_rate);
        svg += fmt::format(
            R"(<g class="variant" data-variant="{}"><title>{}: {} {}, {} per case{}</title>)", n,
            side_title(*v->side), pct(v->pass_rate), interval_pct(v->interval),
            money(v->cost_per_case), v->front ? " (on the Pareto front)" : "");
        if (v->interval) {
            svg += fmt::format(R"(<path class="err" d="M{:.1f} {:.1f}V{:.1f}"/>)", cx,
                               y(v->interval->lower), y(v->interval->upper));
        }
        svg +=
            fmt::format(R"(<circle class="pt {}" data-variant="{}" cx="{:.1f}" cy="{:.1f}" r="6"/>)"
                        R"(<text x="{:.1f}" y="{:.1f}">#{}</text></g>)"
                        "\n",
                        v->front ? "front" : "dominated", n, cx, cy, cx + 9, cy - 8, n);
    }
    svg += fmt::format(
        R"(<circle class="pt front" cx="{0:.1f}" cy="{1:.1f}" r="5"/><text x="{2:.1f}" y="{3:.1f}">on the Pareto front: no other variant is at least as cheap and at least as good</text>)"
        R"(<circle class="pt dominated" cx="{4:.1f}" cy="{1:.1f}" r="5"/><text x="{5:.1f}" y="{3:.1f}">dominated</text>)"
        "\n",
        left, height - 14, left + 10, height - 10, left + 560, left + 570);
    return svg + "</svg>\n";
}

// ---- the tables

// The variants with their numbers (as the charts show them), roles, pass rates and costs.
std::string variants_table(const std::vector<Variant>& vs) {
    std::string out =
        "<table class=\"variants\"><thead><tr><th>#</th><th>role</th><th>side</th><th>label</th>"
        "<th>cases</th><th>pass rate</th><th>interval</th><th>cost per case</th>"
        "<th>Pareto front</th></tr></thead><tbody>\n";
    for (size_t i = 0; i < vs.size(); ++i) {
        const auto& v = vs[i];
        const bool drawn = v.pass_rate && v.cost_per_case;
        out += fmt::format(
            "<tr data-variant=\"{}\"><td class=\"num\">#{}</td><td>{}</td><td>{}:{}</td><td>{}</td>"
            "<td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>"
            "<td class=\"num\">{}{}</td><td>{}</td></tr>\n",
            i + 1, i + 1,
            v.standalone ? "variant"
            : v.baseline ? "baseline"
                         : "candidate",
            html_text(v.side->name), v.side->variant, html_text(v.side->label),
            v.side->cases.size(), pct(v.pass_rate), interval_pct(v.interval),
            money(v.cost_per_case),
            v.unpriced > 0 ? fmt::format(" (+{} unpriced)", v.unpriced) : "",
            !drawn    ? "not drawn"
            : v.front ? "yes"
                      : "no");
    }
    return out + "</tbody></table>\n";
}

std::string quality_table(const compare::Comparison& c, const compare::Options& options) {
    std::string out = fmt::format(
        "<table class=\"quality\"><thead><tr><th>metric</th><th>baseline</th><th>candidate</th>"
        "<th>difference ({:g}% CI)</th><th>p</th><th>verdict</th></tr></thead><tbody>\n",
        100 * (1 - options.alpha));
    for (const auto& m : c.quality) {
        const bool rate = m.name == "pass rate";
        const std::string verdict(stats::to_string(m.verdict));
        std::string verdict_class = verdict;
        std::replace(verdict_class.begin(), verdict_class.end(), ' ', '-');
        out += fmt::format(
            "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td "
            "class=\"num\">{}</td>"
            "<td class=\"num\">{}</td><td class=\"v-{}\">{}</td></tr>\n",
            html_text(m.name),
            rate ? fmt::format("{} {}", pct(m.baseline), interval_pct(m.baseline_interval))
                 : score(m.baseline),
            rate ? fmt::format("{} {}", pct(m.candidate), interval_pct(m.candidate_interval))
                 : score(m.candidate),
            rate ? fmt::format("{} {}", signed_pct(m.difference),
                               interval_pct(m.difference_interval))
                 : fmt::format("{} {}", signed_score(m.difference),
                               interval_score(m.difference_interval)),
            p_text(m.p_value), verdict_class, verdict);
    }
    return out + "</tbody></table>\n";
}

// Cost and speed of one usage (a run's variant) or two (baseline, candidate, and the change).
std::string cost_table(const compare::Usage& a, const compare::Usage* b) {
    std::string out =
        b ? "<table class=\"cost\"><thead><tr><th>cost and speed</th><th>baseline</th>"
            "<th>candidate</th><th>change</th></tr></thead><tbody>\n"
          : "<table class=\"cost\"><thead><tr><th>cost and speed</th><th>value</th>"
            "</tr></thead><tbody>\n";
    // `cell` renders a value of either side; `diff` the change between the sides.
    auto row = [&](std::string_view name, auto cell, auto diff) {
        if (b) {
            out +=
                fmt::format("<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td "
                            "class=\"num\">{}</td></tr>\n",
                            name, cell(a), cell(*b), diff(a, *b));
        } else {
            out += fmt::format("<tr><td>{}</td><td class=\"num\">{}</td></tr>\n", name, cell(a));
        }
    };
    using U = compare::Usage;
    auto none = [](const U&, const U&) { return std::string(); };
    auto count = [](int64_t v) { return static_cast<double>(v); };
    row(
        "input tokens", [](const U& u) { return std::to_string(u.input_tokens); },
        [&](const U& x, const U& y) {
            return change(count(x.input_tokens), count(y.input_tokens));
        });
    row(
        "output tokens", [](const U& u) { return std::to_string(u.output_tokens); },
        [&](const U& x, const U& y) {
            return change(count(x.output_tokens), count(y.output_tokens));
        });
    row(
        "cost (USD)", [](const U& u) { return cost(u.cost_usd, u.unpriced); },
        [](const U& x, const U& y) { return change(x.cost_usd, y.cost_usd); });
    row(
        "cost per case", [](const U& u) { return money(u.cost_per_case); },
        [](const U& x, const U& y) { return change(x.cost_per_case, y.cost_per_case); });
    row(
        "latency p50", [](const U& u) { return ms(u.latency_p50); },
        [](const U& x, const U& y) { return change(x.latency_p50, y.latency_p50); });
    row(
        "latency p95", [](const U& u) { return ms(u.latency_p95); },
        [](const U& x, const U& y) { return change(x.latency_p95, y.latency_p95); });
    row(
        "latency p99", [](const U& u) { return ms(u.latency_p99); },
        [](const U& x, const U& y) { return change(x.latency_p99, y.latency_p99); });
    row(
        "cache hits", [](const U& u) { return std::to_string(u.cached); }, none);
    row(
        "errors", [](const U& u) { return std::to_string(u.errors); }, none);
    if (a.judge_calls > 0 || (b && b->judge_calls > 0)) {
        row(
            "judge calls", [](const U& u) { return std::to_string(u.judge_calls); },
            [&](const U& x, const U& y) {
                return change(count(x.judge_calls), count(y.judge_calls));
            });
        row(
            "judge tokens in/out",
            [](const U& u) {
                return fmt::format("{}/{}", u.judge_input_tokens, u.judge_output_tokens);
            },
            none);
        row(
            "judge cost (USD)", [](const U& u) { return cost(u.judge_cost_usd, u.judge_unpriced); },
            [](const U& x, const U& y) { return change(x.judge_cost_usd, y.judge_cost_usd); });
    }
    return out + "</tbody></table>\n";
}

// `table` in a box that scrolls sideways on a narrow screen, so the page itself never does.
std::string scroll(const std::string& table) {
    return "<div class=\"scroll\">" + table + "</div>\n";
}

// ---- the cases

// "pass", "fail" or "error"; with repeats that disagree, "2/3 pass"; "" when the side lacks the
// case.
std::string status_of(const compare::SideCase* sc) {
    if (sc == nullptr || sc->results.empty())
        return "";
    int judged = 0, passed = 0;
    for (const auto& r : sc->results) {
        judged += r.status != "error" ? 1 : 0;
        passed += r.status == "pass" ? 1 : 0;
    }
    if (judged == 0)
        return "error";
    if (passed == judged)
        return "pass";
    if (passed == 0)
        return "fail";
    return fmt::format("{}/{} pass", passed, judged);
}

// The cases of each side once, as [status, output, reason, rendered prompt] in the side's
// order: a baseline compared with several candidates is not repeated (outputs are most of the
// file).
nlohmann::json side_rows(const std::vector<Variant>& vs, const CaseInputs& inputs) {
    auto sides = nlohmann::json::array();
    for (const auto& v : vs) {
        auto rows = nlohmann::json::array();
        for (const auto& sc : v.side->cases) {
            const auto* r = shown_result(&sc);
            const auto prompt =
                inputs.prompts.find(std::tuple(v.side->run_id, v.side->variant, sc.id));
            rows.push_back(nlohmann::json::array(
                {status_of(&sc), r ? cut(r->output, k_max_output_chars) : "",
                 r ? cut(r->reason, k_max_reason_chars) : "",
                 prompt == inputs.prompts.end() ? "" : cut(prompt->second, k_max_prompt_chars)}));
        }
        sides.push_back(std::move(rows));
    }
    return sides;
}

// A case's variables on one line, "" when `inputs` has none for it.
std::string vars_of(const CaseInputs& inputs, const std::string& id) {
    const auto it = inputs.vars.find(id);
    return it == inputs.vars.end() ? "" : cut(it->second, k_max_inputs_chars);
}

// One comparison's cases: {"a": baseline's variant, "b": candidate's (indexes into "sides"),
// "rows": [id, description, change, index of the case on side a or -1, on side b or -1,
// candidate fails (0/1), variables]}. Arrays, not objects: at 10,000 cases keys would weigh.
nlohmann::json case_rows(const compare::Comparison& c, const std::vector<Variant>& vs,
                         const CaseInputs& inputs) {
    auto index = [](const compare::SideCase* sc, const compare::Side& side) -> int64_t {
        return sc == nullptr ? -1 : sc - side.cases.data();
    };
    auto rows = nlohmann::json::array();
    for (const auto& d : c.cases) {
        // A candidate fails as compare() counts it: most judged repeats fail, or all errored.
        const bool failing =
            d.candidate != nullptr && (!d.candidate_pass || *d.candidate_pass <= 0.5);
        rows.push_back(nlohmann::json::array(
            {d.id, d.description == d.id ? "" : d.description,
             std::string(compare::to_string(d.change)), index(d.baseline, *c.baseline),
             index(d.candidate, *c.candidate), failing ? 1 : 0, vars_of(inputs, d.id)}));
    }
    return {{"a", number_of(vs, c.baseline) - 1},
            {"b", number_of(vs, c.candidate) - 1},
            {"rows", std::move(rows)}};
}

// One variant's cases on their own (a run's report): {"a": its index in "sides", "b": -1,
// "rows": [id, description, status, index of the case, -1, fails (0/1), variables]}.
nlohmann::json single_rows(const compare::Side& side, const std::vector<Variant>& vs,
                           const CaseInputs& inputs) {
    auto rows = nlohmann::json::array();
    for (size_t i = 0; i < side.cases.size(); ++i) {
        const auto& sc = side.cases[i];
        const std::string status = status_of(&sc);
        rows.push_back(
            nlohmann::json::array({sc.id, sc.description == sc.id ? "" : sc.description, status, i,
                                   -1, status == "pass" ? 0 : 1, vars_of(inputs, sc.id)}));
    }
    return {{"a", number_of(vs, &side) - 1}, {"b", -1}, {"rows", std::move(rows)}};
}

// JSON for a <script type="application/json"> data block. An HTML parser ends the block at the
// first "</script" whatever the JSON means, and "<!--" changes how it looks for that end, so no
// '<' may appear raw; '>' and '&' are escaped too, so the text is inert anywhere in a page. In
// JSON these characters occur only inside strings, where \u003c means the same. Invalid UTF-8
// becomes U+FFFD.
std::string script_json(const nlohmann::json& j) {
    const std::string dumped = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    std::string out;
    out.reserve(dumped.size() + dumped.size() / 32);
    for (char ch : dumped) {
        switch (ch) {
        case '<': out += "\\u003c"; break;
        case '>': out += "\\u003e"; break;
        case '&': out += "\\u0026"; break;
        default: out += ch;
        }
    }
    return out;
}

// The case counts, the filters and an empty table the script fills, page by page.
std::string cases_section(const compare::Comparison& c, size_t index) {
    std::string out =
        fmt::format("<section class=\"case-list\" data-table=\"{}\">\n<h3>Cases</h3>\n", index);
    out += fmt::format(
        "<p>{} regressions, {} fixes, {} unchanged (pass), {} unchanged (fail), {} errored, "
        "{} new, {} missing.</p>\n",
        c.count(CaseChange::regression), c.count(CaseChange::fix),
        c.count(CaseChange::unchanged_pass), c.count(CaseChange::unchanged_fail),
        c.count(CaseChange::errored), c.count(CaseChange::new_case), c.count(CaseChange::missing));
    out += "<div class=\"filters\" hidden><label><input type=\"checkbox\" "
           "data-filter=\"regressions\"> "
           "regressions only</label><label><input type=\"checkbox\" data-filter=\"failures\"> "
           "candidate "
           "failures only</label><input type=\"search\" data-filter=\"search\" "
           "placeholder=\"search ids, "
           "descriptions, inputs, outputs and reasons\" aria-label=\"search the cases\"></div>\n";
    out += "<noscript><p class=\"note\">The case table needs JavaScript; <code>llmops diff "
           "--format json</code> "
           "lists every case.</p></noscript>\n";
    out +=
        "<table class=\"cases\"><colgroup><col class=\"case\"><col class=\"inputs\"><col "
        "class=\"change\"><col class=\"status\">"
        "<col class=\"status\"><col class=\"output\"><col class=\"output\"></colgroup>\n"
        "<thead><tr><th>case</th><th>inputs</th><th>change</th><th>baseline</th><th>candidate</th>"
        "<th>baseline output</th><th>candidate output</th></tr></thead><tbody></tbody></table>\n";
    out +=
        "<div class=\"pager\" hidden><button type=\"button\" data-page=\"prev\">← previous</button>"
        "<span class=\"pager-info\"></span><button type=\"button\" data-page=\"next\">next "
        "→</button></div>\n";
    return out + "</section>\n";
}

// One variant of a run's report: its cost and speed, then its cases, paged and filtered as a
// comparison's are.
std::string variant_section(const compare::Side& side, size_t index,
                            const std::vector<Variant>& vs) {
    const size_t number = number_of(vs, &side);
    std::string out = fmt::format("<section class=\"comparison\" id=\"variant-{}\">\n", number);
    out += fmt::format("<h2>#{}</h2>\n<p>{} ({} cases)</p>\n", number, side_title(side),
                       side.cases.size());
    out += "<h3>Cost and speed</h3>\n" +
           scroll(cost_table(compare::summarize_side(side, 0.05).usage, nullptr));
    size_t passed = 0, failed = 0, errored = 0;
    for (const auto& sc : side.cases) {
        const std::string status = status_of(&sc);
        (status == "pass" ? passed : status == "error" ? errored : failed) += 1;
    }
    out += fmt::format("<section class=\"case-list\" data-table=\"{}\">\n<h3>Cases</h3>\n", index);
    out += fmt::format("<p>{} passed, {} failed, {} errored.</p>\n", passed, failed, errored);
    out += "<div class=\"filters\" hidden><label><input type=\"checkbox\" "
           "data-filter=\"failures\"> failures only</label><input type=\"search\" "
           "data-filter=\"search\" placeholder=\"search ids, descriptions, inputs, outputs and "
           "reasons\" "
           "aria-label=\"search the cases\"></div>\n";
    out += "<noscript><p class=\"note\">The case table needs JavaScript; <code>llmops runs export "
           "RUN -o run.json</code> lists every case.</p></noscript>\n";
    out += "<table class=\"cases\"><colgroup><col class=\"case\"><col class=\"inputs\"><col "
           "class=\"status\"><col class=\"output\"></colgroup>\n<thead><tr><th>case</th>"
           "<th>inputs</th><th>status</th><th>output</th></tr></thead><tbody></tbody></table>\n";
    out +=
        "<div class=\"pager\" hidden><button type=\"button\" data-page=\"prev\">← previous</button>"
        "<span class=\"pager-info\"></span><button type=\"button\" data-page=\"next\">next "
        "→</button></div>\n";
    return out + "</section>\n</section>\n";
}

// The unified diff of the two prompts, folded, its lines coloured by kind.
std::string prompt_diff_block(std::string_view diff) {
    if (diff.empty()) {
        return "";
    }
    std::string out = "<details class=\"prompt-diff\" open><summary>The prompts differ: line "
                      "diff</summary><pre class=\"text\">";
    while (!diff.empty()) {
        const size_t end = std::min(diff.find('\n'), diff.size());
        const std::string_view line = diff.substr(0, end);
        diff.remove_prefix(std::min(end + 1, diff.size()));
        const char* kind = line.starts_with("+++") || line.starts_with("---") ? "file"
                           : line.starts_with('+')                            ? "add"
                           : line.starts_with('-')                            ? "del"
                           : line.starts_with("@@")                           ? "hunk"
                                                                              : "same";
        out += fmt::format("<span class=\"{}\">{}</span>\n", kind, html_text(line));
    }
    return out + "</pre></details>\n";
}

// The prompt change as a line diff of the two prompts' texts (their templates or messages, not
// their JSON, where a message is one escaped line); the diff of the contents when the texts are
// equal (only, say, a description changed) or a side's content was not recorded.
std::string prompt_change(const compare::Comparison& c) {
    if (c.prompt_diff.empty()) {
        return "";
    }
    std::string text;
    if (!c.baseline->prompt_content.empty() && !c.candidate->prompt_content.empty()) {
        text = util::unified_diff(prompt_content_text(c.baseline->prompt_content),
                                  prompt_content_text(c.candidate->prompt_content),
                                  c.baseline->prompt_label, c.candidate->prompt_label, false);
    }
    return prompt_diff_block(text.empty() ? c.prompt_diff : text);
}

std::string comparison_section(const compare::Comparison& c, size_t index,
                               const compare::Options& options,
                               const std::vector<std::string>& failures,
                               const std::vector<Variant>& vs) {
    std::string out =
        fmt::format("<section class=\"comparison\" id=\"comparison-{}\">\n", index + 1);
    out += fmt::format(
        "<h2>#{} → #{}</h2>\n<p><b>Baseline</b> #{}: {} ({} cases)<br><b>Candidate</b> #{}: {} "
        "({} cases)</p>\n",
        number_of(vs, c.baseline), number_of(vs, c.candidate), number_of(vs, c.baseline),
        side_title(*c.baseline), c.baseline->cases.size(), number_of(vs, c.candidate),
        side_title(*c.candidate), c.candidate->cases.size());
    if (!failures.empty() || !c.notes.empty()) {
        out += "<ul class=\"notes\">\n";
        for (const auto& f : failures) {
            out += "<li class=\"gate\">gate failed: " + html_text(f) + "</li>\n";
        }
        for (const auto& n : c.notes) {
            out += "<li>" + html_text(n) + "</li>\n";
        }
        out += "</ul>\n";
    }
    out += prompt_change(c);
    const std::string cases = c.unpaired ? std::string("Unpaired: different production calls")
                                         : fmt::format("{} paired cases", c.paired);
    out += fmt::format("<h3>Quality</h3>\n<p class=\"muted\">{}{}, alpha {:g}.</p>\n", cases,
                       c.repeats > 1 ? fmt::format(", {} repeats", c.repeats) : "", options.alpha);
    out += scroll(quality_table(c, options));
    if (c.repeats > 1) {
        out += fmt::format("<p>Flaky cases {} → {}; pass@{} {} → {}; pass^{} {} → {}.</p>\n",
                           c.baseline_flaky, c.candidate_flaky, c.repeats,
                           pct(c.baseline_pass_at_k), pct(c.candidate_pass_at_k), c.repeats,
                           pct(c.baseline_pass_hat_k), pct(c.candidate_pass_hat_k));
    }
    out += "<h3>Cost and speed</h3>\n" + scroll(cost_table(c.baseline_usage, &c.candidate_usage));
    return out + cases_section(c, index) + "</section>\n";
}

// The headline: the first comparison's pass rate and the gates.
std::string headline(const std::vector<compare::Comparison>& comparisons,
                     const std::vector<std::vector<std::string>>& gate_failures) {
    if (comparisons.empty())
        return "llmops diff: nothing compared";
    const auto* rate = comparisons.front().metric("pass rate");
    std::string line =
        fmt::format("llmops diff: pass rate {} → {}", pct(rate ? rate->baseline : std::nullopt),
                    pct(rate ? rate->candidate : std::nullopt));
    size_t failed = 0;
    for (const auto& f : gate_failures)
        failed += f.size();
    return failed ? line + fmt::format(", {} gate{} failed", failed, failed == 1 ? "" : "s") : line;
}

std::string hash_source(std::string_view text) {
    return "'sha256-" + util::base64_encode(util::sha256_digest(text)) + "'";
}

} // namespace

namespace {

// The page around `sections`: the policy, the variants with their charts, the cases' data block
// and the script.
std::string document(const std::string& title, const std::vector<Variant>& vs,
                     const std::string& sections, const nlohmann::json& tables,
                     const CaseInputs& inputs) {
    // Nothing but the two hashed blocks may run or style the page; no fetch of any kind.
    const std::string policy = fmt::format(
        "default-src 'none'; style-src {}; script-src {}; base-uri 'none'; form-action 'none'",
        hash_source(k_style), hash_source(k_script));
    std::string out =
        fmt::format("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                    "<meta http-equiv=\"Content-Security-Policy\" content=\"{}\">\n"
                    "<meta name=\"referrer\" content=\"no-referrer\">\n"
                    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                    "<title>{}</title>\n<style>{}</style>\n</head>\n<body>\n<h1>{}</h1>\n",
                    policy, html_text(title), k_style, html_text(title));
    out += "<section class=\"variants\">\n<h2>Variants</h2>\n" + scroll(variants_table(vs));
    if (vs.size() >= 2) {
        // One variant is one bar and one point: the table says as much.
        out += "<h3>Pass rate</h3>\n" + pass_rate_chart(vs);
        out += "<h3>Cost against quality</h3>\n" + cost_quality_chart(vs);
    }
    out += "</section>\n" + sections;
    const nlohmann::json data{{"sides", side_rows(vs, inputs)}, {"tables", tables}};
    out += "<script type=\"application/json\" id=\"llmops-cases\">" + script_json(data) +
           "</script>\n";
    out += fmt::format("<script>{}</script>\n</body>\n</html>\n", k_script);
    return out;
}

std::string comparisons_page(const std::string& title,
                             const std::vector<compare::Comparison>& comparisons,
                             const compare::Options& options,
                             const std::vector<std::vector<std::string>>& gate_failures,
                             const CaseInputs& inputs) {
    const std::vector<Variant> vs = variants_of(comparisons);
    std::string sections;
    nlohmann::json tables = nlohmann::json::array();
    const std::vector<std::string> no_failures;
    for (size_t i = 0; i < comparisons.size(); ++i) {
        sections +=
            comparison_section(comparisons[i], i, options,
                               i < gate_failures.size() ? gate_failures[i] : no_failures, vs);
        tables.push_back(case_rows(comparisons[i], vs, inputs));
    }
    return document(title, vs, sections, tables, inputs);
}

} // namespace

std::string diff_html(const std::vector<compare::Comparison>& comparisons,
                      const compare::Options& options,
                      const std::vector<std::vector<std::string>>& gate_failures,
                      const CaseInputs& inputs) {
    return comparisons_page(headline(comparisons, gate_failures), comparisons, options,
                            gate_failures, inputs);
}

std::string run_html(const std::string& title, const std::vector<compare::Side>& sides,
                     const std::vector<compare::Comparison>& comparisons,
                     const compare::Options& options, const CaseInputs& inputs) {
    if (!comparisons.empty()) {
        return comparisons_page(title, comparisons, options, {}, inputs);
    }
    const std::vector<Variant> vs = variants_of(sides, options.alpha);
    std::string sections;
    nlohmann::json tables = nlohmann::json::array();
    for (size_t i = 0; i < sides.size(); ++i) {
        sections += variant_section(sides[i], i, vs);
        tables.push_back(single_rows(sides[i], vs, inputs));
    }
    return document(title, vs, sections, tables, inputs);
}

} // namespace llmops::report
