// Static files. The page's chart data rides in a data-chart attribute as
// JSON, so the Content-Security-Policy can forbid inline scripts.
#include "web/static_files.hpp"

#include <fstream>
#include <mutex>
#include <sstream>

namespace pushback::web {

namespace {

constexpr const char* console_script = R"(// Draws every <canvas data-chart="{...}"> with Chart.js.
document.querySelectorAll('canvas[data-chart]').forEach(function (canvas) {
  var spec = JSON.parse(canvas.getAttribute('data-chart'));
  // One colour per series name, the same in every chart.
  var colours = {pass: '#2f7d32', tag: '#c08a00', held: '#b23a2a', refused: '#5a2a82', released: '#1f5fa8',
                 deleted: '#777'};
  spec.datasets.forEach(function (set) {
    set.backgroundColor = colours[set.label] || '#444';
    set.borderColor = set.backgroundColor;
  });
  new Chart(canvas, {
    type: spec.type || 'bar',
    data: {labels: spec.labels, datasets: spec.datasets},
    options: {animation: false, responsive: true, maintainAspectRatio: false,
              scales: {x: {stacked: spec.stacked}, y: {stacked: spec.stacked, beginAtZero: true}}}
  });
});
document.querySelectorAll('input[data-check-all]').forEach(function (box) {
  box.addEventListener('change', function () {
    document.querySelectorAll('input[name="id"]').forEach(function (other) { other.checked = box.checked; });
  });
});
)";

std::string read_file(const char* path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace

Response static_file(const std::string& path) {
  Response response;
  response.content_type = "text/javascript; charset=utf-8";
  if (path == "/static/console.js") {
    response.body = console_script;
    return response;
  }
  if (path == "/static/chart.js") {
    static std::once_flag once;
    static std::string chart;
    std::call_once(once, [] { chart = read_file(PUSHBACK_CHART_JS); });
    if (chart.empty()) return plain(404, std::string("Chart.js is not installed (") + PUSHBACK_CHART_JS + ")\n");
    response.body = chart;
    return response;
  }
  return plain(404, "no such file\n");
}

}  // namespace pushback::web
